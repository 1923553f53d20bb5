//! Lambda function `admin-audit-log`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::admin_audit_log as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
