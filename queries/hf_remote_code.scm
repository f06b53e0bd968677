; hf-remote-code: calls that pass `trust_remote_code=True` literally; the
; rule then checks, through imports, that the callee downloads from the Hub.
(call
  function: [(identifier) (attribute)] @callee
  arguments: (argument_list
    (keyword_argument
      name: (identifier) @keyword.name
      value: (true)) @keyword
    (#eq? @keyword.name "trust_remote_code"))) @call
