//! Lambda function `runs-get`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("runs-get")
}
