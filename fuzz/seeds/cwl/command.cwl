#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: command
doc: |
  Runs a shell command that reads the input file on standard input.
  Whatever the command writes on standard output becomes the output file.

baseCommand: [sh, -c]

inputs:
  command:
    type: string
    label: Shell command (reads standard input, writes standard output)
    inputBinding:
      position: 1
  input_file:
    type: File
    label: File fed to the command on standard input
  output_name:
    type: string
    default: output.txt
    label: Name of the output file

stdin: $(inputs.input_file.path)
stdout: $(inputs.output_name)

outputs:
  output:
    type: stdout
    label: Standard output of the command
