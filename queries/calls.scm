; Every call whose callee is a name or an attribute chain: the one query
; the engine runs per file for all call rules. Aliases (`from torch import
; load as tl`, `import datasets as hfd`) hide a function's name, so the
; callee is not filtered here: the engine resolves it through the file's
; scopes and hands the call to the rules that name it.
(call
  function: [(identifier) (attribute)] @callee
  arguments: [(argument_list) (generator_expression)] @args) @call
; A lone generator argument, `f(x for x in y)`, is a call too (Bandit flags it).
