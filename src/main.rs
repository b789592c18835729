//! The `orrery` command: parses arguments and hands over to the library.

fn main() -> std::process::ExitCode {
    orrery::cli::main()
}
