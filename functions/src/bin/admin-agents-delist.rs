//! Lambda function `admin-agents-delist`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("admin-agents-delist")
}
