//! Lambda function `admin-agents-relist`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("admin-agents-relist")
}
