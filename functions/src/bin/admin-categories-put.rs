//! Lambda function `admin-categories-put`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("admin-categories-put")
}
