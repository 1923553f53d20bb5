//! Lambda function `api-keys-create`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("api-keys-create")
}
