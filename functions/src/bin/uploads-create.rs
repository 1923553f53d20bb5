//! Lambda function `uploads-create`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("uploads-create")
}
