; torch-load: every call whose callee is a name or an attribute chain.
; The callee's text cannot be filtered here: `from torch import load as tl`
; makes `tl(...)` a torch.load call, so the rule resolves it through imports.
(call
  function: [(identifier) (attribute)] @callee
  arguments: [(argument_list) (generator_expression)] @args) @call
; A lone generator argument, `f(x for x in y)`, is a call too (Bandit flags it).
