; call-with-shell: any call that passes `shell=`, whatever its callee. The
; rule leaves `subprocess` functions to subprocess-shell and judges the value.
(call
  function: [(identifier) (attribute)] @callee
  arguments: (argument_list
    (keyword_argument
      name: (identifier) @keyword.name
      (#eq? @keyword.name "shell")))) @call
