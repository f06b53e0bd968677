; trojan-source: every comment and string literal, the only places Python
; accepts a bidirectional control. The rule looks for the controls in each,
; leaving those of a nested string or comment to that node.
[(comment) (string)] @node
