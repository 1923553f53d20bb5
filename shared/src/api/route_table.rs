//! The route table: every route of the API, under its function's name, with what that
//! function needs.

use super::Route;

route_table![
    (
        health,
        needs::ROUTE.with(&[Need::Uploads, Need::Search, Need::DescribeDependencies]),
        Route::new::<health::__path_get_health, _, _>("health", Access::Public, health::get_health)
    ),
    (
        openapi,
        needs::ROUTE,
        Route::new::<openapi::__path_get_openapi, _, _>(
            "openapi",
            Access::Public,
            openapi::get_openapi
        )
    ),
    (
        auth_register,
        needs::SIGNS_IN.with(&[Need::Mail]),
        Route::new::<auth::__path_register, _, _>("auth-register", Access::Public, auth::register)
    ),
    (
        auth_login,
        needs::SIGNS_IN,
        Route::new::<auth::__path_login, _, _>("auth-login", Access::Public, auth::login)
    ),
    (
        auth_refresh,
        needs::SIGNS_IN,
        Route::new::<auth::__path_refresh, _, _>("auth-refresh", Access::Public, auth::refresh)
    ),
    (
        auth_logout,
        needs::ROUTE,
        Route::new::<auth::__path_logout, _, _>("auth-logout", Access::Public, auth::logout)
    ),
    (
        auth_verify_email,
        needs::ROUTE,
        Route::new::<verification::__path_verify_email, _, _>(
            "auth-verify-email",
            Access::Public,
            verification::verify_email
        )
    ),
    (
        me_get,
        needs::ROUTE,
        Route::new::<me::__path_get_me, _, _>("me-get", Access::User, me::get_me)
    ),
    (
        me_update,
        needs::ROUTE.with(&[Need::Uploads]),
        Route::new::<me::__path_update_me, _, _>("me-update", Access::User, me::update_me)
    ),
    (
        me_verification_email,
        needs::ROUTE.with(&[Need::Mail]),
        Route::new::<verification::__path_send_verification_email, _, _>(
            "me-verification-email",
            Access::User,
            verification::send_verification_email
        )
    ),
    (
        me_outbox,
        needs::ROUTE,
        Route::new::<verification::__path_get_outbox, _, _>(
            "me-outbox",
            Access::User,
            verification::get_outbox
        )
    ),
    (
        api_keys_list,
        needs::ROUTE,
        Route::new::<me::__path_list_api_keys, _, _>(
            "api-keys-list",
            Access::User,
            me::list_api_keys
        )
    ),
    (
        api_keys_create,
        needs::ROUTE,
        Route::new::<me::__path_create_api_key, _, _>(
            "api-keys-create",
            Access::User,
            me::create_api_key
        )
    ),
    (
        api_keys_revoke,
        needs::ROUTE,
        Route::new::<me::__path_revoke_api_key, _, _>(
            "api-keys-revoke",
            Access::User,
            me::revoke_api_key
        )
    ),
    (
        admin_audit_log,
        needs::ROUTE,
        Route::new::<admin::__path_list_audit_log, _, _>(
            "admin-audit-log",
            Access::Admin,
            admin::list_audit_log
        )
    ),
    (
        agents_list,
        needs::ROUTE.with(&[Need::Search]),
        Route::new::<agents::__path_list_agents, _, _>(
            "agents-list",
            Access::Public,
            agents::list_agents
        )
    ),
    (
        agents_create,
        needs::ROUTE.with(&[Need::Uploads]),
        Route::new::<agents::__path_create_agent, _, _>(
            "agents-create",
            Access::User,
            agents::create_agent
        )
    ),
    (
        agents_import,
        needs::ROUTE,
        Route::new::<agents::__path_import_agent, _, _>(
            "agents-import",
            Access::User,
            agents::import_agent
        )
    ),
    (
        agents_get,
        needs::ROUTE,
        Route::new::<agents::__path_get_agent, _, _>(
            "agents-get",
            Access::Public,
            agents::get_agent
        )
    ),
    (
        agents_update,
        needs::ROUTE.with(&[Need::Search, Need::Uploads]),
        Route::new::<agents::__path_update_agent, _, _>(
            "agents-update",
            Access::User,
            agents::update_agent
        )
    ),
    (
        agents_publish,
        needs::ROUTE.with(&[Need::Search, Need::Uploads]),
        Route::new::<agent_versions::__path_publish_agent_version, _, _>(
            "agents-publish",
            Access::User,
            agent_versions::publish_agent_version
        )
    ),
    (
        agents_versions,
        needs::ROUTE,
        Route::new::<agent_versions::__path_list_agent_versions, _, _>(
            "agents-versions",
            Access::Public,
            agent_versions::list_agent_versions
        )
    ),
    (
        agents_version_get,
        needs::ROUTE,
        Route::new::<agent_versions::__path_get_agent_version, _, _>(
            "agents-version-get",
            Access::Public,
            agent_versions::get_agent_version
        )
    ),
    (
        agents_version_update,
        needs::ROUTE,
        Route::new::<agent_versions::__path_update_agent_version, _, _>(
            "agents-version-update",
            Access::User,
            agent_versions::update_agent_version
        )
    ),
    (
        agents_set_latest,
        needs::ROUTE.with(&[Need::Search]),
        Route::new::<agent_versions::__path_set_latest_version, _, _>(
            "agents-set-latest",
            Access::User,
            agent_versions::set_latest_version
        )
    ),
    (
        agents_fork,
        needs::ROUTE,
        Route::new::<agents::__path_fork_agent, _, _>(
            "agents-fork",
            Access::User,
            agents::fork_agent
        )
    ),
    (
        agents_export,
        needs::ROUTE,
        Route::new::<agents::__path_export_agent, _, _>(
            "agents-export",
            Access::Public,
            agents::export_agent
        )
    ),
    (
        admin_agents_delist,
        needs::ROUTE.with(&[Need::Search]),
        Route::new::<agents::__path_delist_agent, _, _>(
            "admin-agents-delist",
            Access::Admin,
            agents::delist_agent
        )
    ),
    (
        admin_agents_relist,
        needs::ROUTE.with(&[Need::Search]),
        Route::new::<agents::__path_relist_agent, _, _>(
            "admin-agents-relist",
            Access::Admin,
            agents::relist_agent
        )
    ),
    (
        me_agents,
        needs::ROUTE,
        Route::new::<agents::__path_list_my_agents, _, _>(
            "me-agents",
            Access::User,
            agents::list_my_agents
        )
    ),
    (
        saved_list,
        needs::ROUTE,
        Route::new::<saved_agents::__path_list_saved_agents, _, _>(
            "saved-list",
            Access::User,
            saved_agents::list_saved_agents
        )
    ),
    (
        saved_put,
        needs::ROUTE,
        Route::new::<saved_agents::__path_save_agent, _, _>(
            "saved-put",
            Access::User,
            saved_agents::save_agent
        )
    ),
    (
        saved_delete,
        needs::ROUTE,
        Route::new::<saved_agents::__path_unsave_agent, _, _>(
            "saved-delete",
            Access::User,
            saved_agents::unsave_agent
        )
    ),
    (
        categories_list,
        needs::ROUTE,
        Route::new::<categories::__path_list_categories, _, _>(
            "categories-list",
            Access::Public,
            categories::list_categories
        )
    ),
    (
        admin_categories_put,
        needs::ROUTE,
        Route::new::<categories::__path_put_category, _, _>(
            "admin-categories-put",
            Access::Admin,
            categories::put_category
        )
    ),
    (
        creators_get,
        needs::ROUTE,
        Route::new::<creators::__path_get_creator, _, _>(
            "creators-get",
            Access::Public,
            creators::get_creator
        )
    ),
    (
        llm_models_list,
        needs::ROUTE,
        Route::new::<llm_models::__path_list_llm_models, _, _>(
            "llm-models-list",
            Access::Public,
            llm_models::list_llm_models
        )
    ),
    (
        uploads_create,
        needs::ROUTE.with(&[Need::Uploads]),
        Route::new::<uploads::__path_create_upload, _, _>(
            "uploads-create",
            Access::User,
            uploads::create_upload
        )
    ),
    (
        uploads_local,
        needs::ROUTE.with(&[Need::Uploads]),
        Route::new::<uploads::__path_upload_local_file, _, _>(
            "uploads-local",
            Access::Public,
            uploads::upload_local_file
        )
    ),
    (
        blobs_get,
        needs::ROUTE.with(&[Need::Uploads]),
        Route::new::<uploads::__path_get_blob, _, _>(
            "blobs-get",
            Access::Public,
            uploads::get_blob
        )
    ),
    (
        runs_create,
        needs::RUNS_AGENTS,
        Route::new::<runs::__path_create_run, _, _>("runs-create", Access::User, runs::create_run)
            .streaming()
    ),
    (
        runs_list,
        needs::ROUTE,
        Route::new::<runs::__path_list_runs, _, _>("runs-list", Access::User, runs::list_runs)
    ),
    (
        runs_get,
        needs::ROUTE,
        Route::new::<runs::__path_get_run, _, _>("runs-get", Access::User, runs::get_run)
    ),
    (
        runs_stop,
        needs::ROUTE,
        Route::new::<runs::__path_stop_run, _, _>("runs-stop", Access::User, runs::stop_run)
    ),
    (
        conversations_create,
        needs::ROUTE,
        Route::new::<conversations::__path_create_conversation, _, _>(
            "conversations-create",
            Access::User,
            conversations::create_conversation
        )
    ),
    (
        conversations_list,
        needs::ROUTE,
        Route::new::<conversations::__path_list_conversations, _, _>(
            "conversations-list",
            Access::User,
            conversations::list_conversations
        )
    ),
    (
        conversations_get,
        needs::ROUTE,
        Route::new::<conversations::__path_get_conversation, _, _>(
            "conversations-get",
            Access::User,
            conversations::get_conversation
        )
    ),
    (
        conversations_delete,
        needs::ROUTE,
        Route::new::<conversations::__path_delete_conversation, _, _>(
            "conversations-delete",
            Access::User,
            conversations::delete_conversation
        )
    ),
    (
        conversations_send,
        needs::RUNS_AGENTS,
        Route::new::<conversations::__path_send_message, _, _>(
            "conversations-send",
            Access::User,
            conversations::send_message
        )
        .streaming()
    ),
    (
        conversations_regenerate,
        needs::RUNS_AGENTS,
        Route::new::<conversations::__path_regenerate_answer, _, _>(
            "conversations-regenerate",
            Access::User,
            conversations::regenerate_answer
        )
        .streaming()
    ),
    (
        chat_completions,
        needs::RUNS_AGENTS,
        Route::new::<openai::__path_create_chat_completion, _, _>(
            "chat-completions",
            Access::User,
            openai::create_chat_completion
        )
        .streaming()
        .openai_errors()
    ),
    (
        models_list,
        needs::ROUTE.with(&[Need::Search]),
        Route::new::<openai::__path_list_models, _, _>(
            "models-list",
            Access::User,
            openai::list_models
        )
        .openai_errors()
    ),
    (
        credits_get,
        needs::ROUTE,
        Route::new::<credits::__path_get_credits, _, _>(
            "credits-get",
            Access::User,
            credits::get_credits
        )
    ),
    (
        credits_ledger,
        needs::ROUTE,
        Route::new::<credits::__path_list_ledger, _, _>(
            "credits-ledger",
            Access::User,
            credits::list_ledger
        )
    ),
    (
        credits_limits,
        needs::ROUTE,
        Route::new::<credits::__path_set_spending_limits, _, _>(
            "credits-limits",
            Access::User,
            credits::set_spending_limits
        )
    ),
    (
        provider_keys_list,
        needs::ROUTE,
        Route::new::<provider_keys::__path_list_provider_keys, _, _>(
            "provider-keys-list",
            Access::User,
            provider_keys::list_provider_keys
        )
    ),
    (
        provider_keys_create,
        needs::ROUTE.with(&[Need::SavedKeysEncrypt]),
        Route::new::<provider_keys::__path_create_provider_key, _, _>(
            "provider-keys-create",
            Access::User,
            provider_keys::create_provider_key
        )
    ),
    (
        provider_keys_delete,
        needs::ROUTE,
        Route::new::<provider_keys::__path_delete_provider_key, _, _>(
            "provider-keys-delete",
            Access::User,
            provider_keys::delete_provider_key
        )
    ),
    (
        agents_stats,
        needs::ROUTE,
        Route::new::<agent_stats::__path_get_agent_stats, _, _>(
            "agents-stats",
            Access::User,
            agent_stats::get_agent_stats
        )
    ),
    (
        reviews_list,
        needs::ROUTE,
        Route::new::<reviews::__path_list_reviews, _, _>(
            "reviews-list",
            Access::Public,
            reviews::list_reviews
        )
    ),
    (
        reviews_put,
        needs::ROUTE,
        Route::new::<reviews::__path_put_my_review, _, _>(
            "reviews-put",
            Access::User,
            reviews::put_my_review
        )
    ),
    (
        reviews_reply,
        needs::ROUTE,
        Route::new::<reviews::__path_reply_to_review, _, _>(
            "reviews-reply",
            Access::User,
            reviews::reply_to_review
        )
    ),
    (
        reviews_report,
        needs::ROUTE,
        Route::new::<reviews::__path_report_review, _, _>(
            "reviews-report",
            Access::User,
            reviews::report_review
        )
    ),
    (
        workflows_create,
        needs::ROUTE,
        Route::new::<workflows::__path_create_workflow, _, _>(
            "workflows-create",
            Access::User,
            workflows::create_workflow
        )
    ),
    (
        workflows_list,
        needs::ROUTE,
        Route::new::<workflows::__path_list_workflows, _, _>(
            "workflows-list",
            Access::Public,
            workflows::list_workflows
        )
    ),
    (
        saved_workflows_list,
        needs::ROUTE,
        Route::new::<workflows::__path_list_saved_workflows, _, _>(
            "saved-workflows-list",
            Access::User,
            workflows::list_saved_workflows
        )
    ),
    (
        saved_workflows_put,
        needs::ROUTE,
        Route::new::<workflows::__path_save_workflow, _, _>(
            "saved-workflows-put",
            Access::User,
            workflows::save_workflow
        )
    ),
    (
        saved_workflows_delete,
        needs::ROUTE,
        Route::new::<workflows::__path_unsave_workflow, _, _>(
            "saved-workflows-delete",
            Access::User,
            workflows::unsave_workflow
        )
    ),
    (
        workflows_validate,
        needs::ROUTE.with(&[Need::SavedKeysDecrypt]),
        Route::new::<workflows::__path_validate_workflow, _, _>(
            "workflows-validate",
            Access::User,
            workflows::validate_workflow
        )
    ),
    (
        workflows_get,
        needs::ROUTE,
        Route::new::<workflows::__path_get_workflow, _, _>(
            "workflows-get",
            Access::Public,
            workflows::get_workflow
        )
    ),
    (
        workflows_update,
        needs::ROUTE,
        Route::new::<workflows::__path_update_workflow, _, _>(
            "workflows-update",
            Access::User,
            workflows::update_workflow
        )
    ),
    (
        workflows_publish,
        needs::ROUTE.with(&[Need::SavedKeysDecrypt]),
        Route::new::<workflows::__path_publish_workflow, _, _>(
            "workflows-publish",
            Access::User,
            workflows::publish_workflow
        )
    ),
    (
        workflows_versions,
        needs::ROUTE,
        Route::new::<workflows::__path_list_workflow_versions, _, _>(
            "workflows-versions",
            Access::Public,
            workflows::list_workflow_versions
        )
    ),
    (
        workflows_fork,
        needs::ROUTE,
        Route::new::<workflows::__path_fork_workflow, _, _>(
            "workflows-fork",
            Access::User,
            workflows::fork_workflow
        )
    ),
    (
        workflow_runs_create,
        needs::ROUTE.with(&[
            Need::SavedKeysDecrypt,
            Need::IdempotencyTable,
            Need::WorkflowQueue
        ]),
        Route::new::<workflows::__path_start_workflow_run, _, _>(
            "workflow-runs-create",
            Access::User,
            workflows::start_workflow_run
        )
    ),
    (
        workflow_runs_list,
        needs::ROUTE,
        Route::new::<workflows::__path_list_workflow_runs, _, _>(
            "workflow-runs-list",
            Access::User,
            workflows::list_workflow_runs
        )
    ),
    (
        workflow_runs_get,
        needs::ROUTE,
        Route::new::<workflows::__path_get_workflow_run, _, _>(
            "workflow-runs-get",
            Access::User,
            workflows::get_workflow_run
        )
    ),
    (
        workflow_runs_cancel,
        needs::ROUTE,
        Route::new::<workflows::__path_cancel_workflow_run, _, _>(
            "workflow-runs-cancel",
            Access::User,
            workflows::cancel_workflow_run
        )
    ),
    (
        workflow_runs_events,
        needs::ROUTE,
        Route::new::<workflows::__path_follow_workflow_run, _, _>(
            "workflow-runs-events",
            Access::User,
            workflows::follow_workflow_run
        )
        .streaming()
    ),
];
