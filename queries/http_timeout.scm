; http-timeout: every call whose callee is a name or an attribute chain.
; The callee cannot be filtered by spelling here: `from requests import get`
; makes `get(...)` a requests call, and `s.get(...)` is one when `s` was bound
; to `requests.Session()`; the rule resolves both.
(call
  function: [(identifier) (attribute)] @callee
  arguments: [(argument_list) (generator_expression)] @args) @call
; A lone generator argument, `f(x for x in y)`, is a call too (Bandit flags it).
