//! Lambda function `workflows-get`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("workflows-get")
}
