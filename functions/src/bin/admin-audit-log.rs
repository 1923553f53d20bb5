//! Lambda function `admin-audit-log`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("admin-audit-log")
}
