; Every string literal: plain, f-string, or an implicit concatenation of
; them. The rules that judge string values decide on the CPython-faithful
; AST (escapes processed, concatenation joined) and use the match only to
; place their finding; a `string` inside a `concatenated_string` is left to
; the whole.
[(string) (concatenated_string)] @string
