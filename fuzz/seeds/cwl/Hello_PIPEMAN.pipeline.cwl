#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow
label: Hello_PIPEMAN
doc: |
  Hello PIPEMAN example. Writes block text.

  The input to the pipeline is a text file. The two figlet steps append
  "Hello" and "PIPEMAN" in block letters to a copy of the input file; the
  final command step passes the result through a shell command (`cat` by
  default). The output is a copy of the input file with "Hello PIPEMAN"
  appended.

inputs:
  file:
    type: File
    label: Input text file
  text:
    type: string
    default: Hello
    label: First word, written in block letters
  text_2:
    type: string
    default: PIPEMAN
    label: Second word, written in block letters
  command_1:
    type: string
    default: cat
    label: Shell command applied to the result

outputs:
  output:
    type: File
    label: Copy of the input file with "Hello PIPEMAN" appended
    outputSource: command/output

steps:
  figlet:
    run: figlet.cwl
    in:
      input_file: file
      text: text
    out: [output]

  figlet_2:
    run: figlet.cwl
    in:
      input_file: figlet/output
      text: text_2
    out: [output]

  command:
    run: command.cwl
    in:
      input_file: figlet_2/output
      command: command_1
    out: [output]
