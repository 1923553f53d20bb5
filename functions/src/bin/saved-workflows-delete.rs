//! Lambda function `saved-workflows-delete`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("saved-workflows-delete")
}
