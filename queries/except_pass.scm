; except-pass: a handler with a `pass` or `...` statement in its body. The
; rule checks that it is the only statement and which types are caught.
(except_clause
  (block
    [(pass_statement) (expression_statement (ellipsis))] @statement)) @handler
