; hf-revision: every call whose callee is a name or an attribute chain.
; Aliases (`from datasets import load_dataset as ld`, `import datasets as
; hfd`) hide the function's name, so the rule resolves the callee through
; the file's imports and decides in Rust.
(call
  function: [(identifier) (attribute)] @callee
  arguments: [(argument_list) (generator_expression)] @args) @call
; A lone generator argument, `f(x for x in y)`, is a call too (Bandit flags it).
