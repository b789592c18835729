#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: figlet
doc: |
  Copies a text file and appends the given text written in large block
  letters by the `figlet` command.

hints:
  SoftwareRequirement:
    packages:
      - package: figlet

baseCommand: [sh, -c]
arguments:
  - position: 0
    valueFrom: 'cat "$1" > "$2" && figlet -- "$3" >> "$2"'
  - position: 1
    valueFrom: figlet
  - position: 2
    valueFrom: $(inputs.input_file.path)
  - position: 3
    valueFrom: $(inputs.input_file.basename)

inputs:
  input_file:
    type: File
    label: Text file to copy
  text:
    type: string
    label: Text to append in block letters
    inputBinding:
      position: 4

outputs:
  output:
    type: File
    label: Copy of the input file with the block text appended
    outputBinding:
      glob: $(inputs.input_file.basename)
