-- Whether an endpoint may reach the non-public networks the operator allowed
-- (AGORA_EGRESS_ALLOW): only endpoints an administrator saved, the operator's own models.
-- Everyone else's URLs must resolve to public addresses, at save and at every connection.
ALTER TABLE provider_credentials ADD COLUMN private_networks boolean NOT NULL DEFAULT false;
