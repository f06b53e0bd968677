; except-continue: a handler with a `continue` statement in its body. The
; rule checks that it is the only statement and which types are caught.
(except_clause
  (block (continue_statement) @statement)) @handler
