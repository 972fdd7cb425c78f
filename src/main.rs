//! The `vigil` command: everything is in the library; see `vigil --help`.

fn main() -> std::process::ExitCode {
    vigil::cli::main()
}
