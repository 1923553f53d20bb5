//! Lambda function `uploads-local`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("uploads-local")
}
