//! The caller's own account: their profile (name, handle, bio, avatar) and password.

use super::{AccountService, MAX_BIO_CHARS, ProfileUpdate, account_gone, collect, field};
use crate::{
    Error, Result,
    domain::{Caller, DisplayName, Handle, Password, RequestOrigin},
    ports::{
        AuditAction, InsertUserError, PasswordCheck, PasswordUpdate, ProfileChange, UserRecord,
    },
};

use super::sessions::too_many_logins;

impl AccountService {
    /// The caller's own account.
    pub async fn me(&self, caller: &Caller) -> Result<UserRecord> {
        let principal = caller.user()?;
        self.ports
            .users
            .find_user(principal.user_id)
            .await?
            .ok_or_else(account_gone)
    }

    /// Changes the caller's display name and/or password. A password change needs the
    /// current password and signs out every session of the account.
    pub async fn update_me(
        &self,
        caller: &Caller,
        update: ProfileUpdate,
        origin: &RequestOrigin,
    ) -> Result<UserRecord> {
        let principal = caller.user()?;
        let mut errors = Vec::new();
        let display_name = update
            .display_name
            .as_deref()
            .and_then(|name| collect(&mut errors, "display_name", DisplayName::parse(name)));
        let handle = update
            .handle
            .as_deref()
            .and_then(|handle| collect(&mut errors, "handle", Handle::parse(handle)));
        let bio = update.bio.as_deref().and_then(|bio| {
            let bio = bio.trim();
            let valid = bio.chars().count() <= MAX_BIO_CHARS
                && !bio.chars().any(|c| c.is_control() && c != '\n');
            if valid {
                Some(bio.to_owned())
            } else {
                errors.push(field(
                    "bio",
                    &format!(
                        "must be at most {MAX_BIO_CHARS} characters, without control characters"
                    ),
                ));
                None
            }
        });
        let new_password = update
            .new_password
            .as_deref()
            .and_then(|password| collect(&mut errors, "new_password", Password::parse(password)));
        let current_password = match (&update.new_password, &update.current_password) {
            (Some(_), None) => {
                errors.push(field(
                    "current_password",
                    "is required to change the password",
                ));
                None
            }
            (_, Some(current)) => collect(
                &mut errors,
                "current_password",
                Password::for_login(current),
            ),
            (None, None) => None,
        };
        if let Some(avatar) = &update.avatar
            && let Err(error) = self
                .ports
                .uploads
                .claim(
                    caller,
                    avatar,
                    crate::ports::UploadPurpose::Avatar,
                    "avatar",
                )
                .await
        {
            match error {
                Error::Validation(mut avatar_errors) => errors.append(&mut avatar_errors),
                other => return Err(other),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let mut user = self.me(caller).await?;
        if let (Some(new_password), Some(current_password)) = (new_password, current_password) {
            let limit_key = format!("login-failures:account:{}", user.email);
            let (limit, _) = self.login_limits();
            self.ports
                .limiter
                .check(&limit_key, limit)
                .await
                .map_err(too_many_logins)?;
            let check = self
                .ports
                .hasher
                .verify(&current_password, &user.password_hash)
                .await?;
            if check == PasswordCheck::Mismatch {
                let _ = self.ports.limiter.hit(&limit_key, limit).await;
                return Err(Error::invalid(
                    "current_password",
                    "is not your current password",
                ));
            }
            if new_password.expose().eq_ignore_ascii_case(&user.email) {
                return Err(Error::invalid(
                    "new_password",
                    "must not be your email address",
                ));
            }
            let hash = self.ports.hasher.hash(&new_password).await?;
            let audit =
                self.audit_record(Some(user.id), AuditAction::PasswordChanged, None, origin);
            let sessions = self
                .ports
                .users
                .update_password_hash(user.id, &hash, PasswordUpdate::Change { audit })
                .await?;
            for session in sessions {
                self.revoke_access_tokens(session).await;
            }
        }
        let change = ProfileChange {
            display_name,
            handle,
            bio,
            avatar: update.avatar,
        };
        if change.display_name.is_some()
            || change.handle.is_some()
            || change.bio.is_some()
            || change.avatar.is_some()
        {
            user = match self
                .ports
                .users
                .update_profile(principal.user_id, &change)
                .await
            {
                Ok(user) => user.ok_or_else(account_gone)?,
                Err(InsertUserError::HandleTaken) => {
                    return Err(Error::Conflict(
                        "This handle is taken; choose another.".into(),
                    ));
                }
                Err(InsertUserError::EmailTaken) => {
                    return Err(Error::Internal("a profile change touched the email".into()));
                }
                Err(InsertUserError::Other(error)) => return Err(error),
            };
        }
        Ok(user)
    }
}
