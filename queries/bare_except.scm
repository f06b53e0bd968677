; bare-except: every `except:` that names no exception type. Whether the body
; re-raises is decided in the rule.
(except_clause !value) @handler
