//! UploadServerCertificate, GetServerCertificate, ListServerCertificates,
//! UpdateServerCertificate, DeleteServerCertificate, TagServerCertificate,
//! UntagServerCertificate, ListServerCertificateTags — the certificates HTTPS listeners of
//! Berth's load balancers serve.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::tags::{merge_into, remove_from, tag_page};
use super::{check_name, check_path, checked_tags, new_id, page, tag_list, Empty};
use crate::error::{IamError, Result};
use crate::records::{user_key, ServerCertRec};
use crate::Iam;

/// Server certificates an account may store, as IAM's default quota.
const MAX_CERTIFICATES: usize = 20;
/// A server certificate's name: 1-128 of letters, digits and `+=,.@_-`.
const MAX_NAME: usize = 128;

fn no_certificate(name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

fn arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:server-certificate{path}{name}")
}

fn metadata(c: &ServerCertRec) -> ServerCertificateMetadata {
    ServerCertificateMetadata {
        path: Some(c.path.clone()),
        server_certificate_name: Some(c.name.clone()),
        server_certificate_id: Some(c.id.clone()),
        arn: Some(c.arn.clone()),
        upload_date: Some(c.uploaded),
        expiration: Some(c.expiration),
    }
}

/// A server certificate's PEM, as a TLS server needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerCertificatePem {
    /// The certificate, then its chain.
    pub chain_pem: String,
    pub key_pem: String,
}

impl Iam {
    /// The server certificate `arn` names in `account`, with its private key opened (for the
    /// load balancers' HTTPS listeners). `None` when there is no such certificate.
    pub fn server_certificate_pem(&self, account: &str, arn: &str) -> Option<ServerCertificatePem> {
        let cert = self
            .db
            .read(|s| s.server_certs_of(account).find(|c| c.arn == arn).cloned())?;
        let key = match self.ring.open(&cert.sealed_key, &cert.id) {
            Ok(key) => key,
            Err(e) => {
                tracing::error!(arn, error = %e, "cannot open a server certificate's private key");
                return None;
            }
        };
        let key_pem = String::from_utf8(key).ok()?;
        let mut chain_pem = cert.body.trim_end().to_owned();
        chain_pem.push('\n');
        if let Some(chain) = cert.chain.as_deref() {
            chain_pem.push_str(chain.trim_end());
            chain_pem.push('\n');
        }
        Some(ServerCertificatePem { chain_pem, key_pem })
    }

    fn server_cert(&self, ctx: &RequestContext, name: &str) -> Result<ServerCertRec> {
        self.db
            .read(|s| s.server_certs.get(&user_key(&ctx.account, name)).cloned())
            .map(|c| (*c).clone())
            .ok_or_else(|| no_certificate(name))
    }

    /// Changes certificate `name` of the caller's account in one write.
    fn change_server_cert(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut ServerCertRec) -> Result<()>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let c = tx
                .state
                .server_certs
                .get(&user_key(&ctx.account, name))
                .ok_or_else(|| no_certificate(name))?;
            let mut c = (**c).clone();
            f(&mut c)?;
            tx.put(c)
        })
    }

    pub(crate) fn upload_server_certificate(
        &self,
        ctx: &RequestContext,
        req: UploadServerCertificateRequest,
    ) -> Result<UploadServerCertificateResponse> {
        let name = req.server_certificate_name.unwrap_or_default();
        check_name(&name, "serverCertificateName", MAX_NAME)?;
        let path = req.path.unwrap_or_else(|| "/".into());
        check_path(&path)?;
        let body = req.certificate_body.unwrap_or_default();
        let key = req.private_key.unwrap_or_default();
        let chain = req.certificate_chain.filter(|c| !c.trim().is_empty());
        let checked = crate::certificates::check(&body, chain.as_deref(), &key)?;
        let tags = checked_tags(req.tags.as_ref())?;
        let id = new_id("ASCA")?;
        let rec = ServerCertRec {
            sealed_key: self.ring.seal(key.as_bytes(), &id)?,
            arn: arn(&ctx.account, &path, &name),
            account: ctx.account.clone(),
            name: name.clone(),
            path,
            id,
            uploaded: self.now(),
            expiration: checked.expiration,
            body,
            chain,
            tags: tags.map,
            tag_order: tags.order,
        };
        self.db.write(|tx| {
            if tx
                .state
                .server_certs
                .contains_key(&user_key(&ctx.account, &name))
            {
                return Err(IamError::EntityAlreadyExists(format!(
                    "The Server Certificate with name {name} already exists."
                )));
            }
            if tx.state.server_certs_of(&ctx.account).count() >= MAX_CERTIFICATES {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for ServerCertificatesPerAccount: {MAX_CERTIFICATES}"
                )));
            }
            tx.put(rec.clone())
        })?;
        Ok(UploadServerCertificateResponse {
            server_certificate_metadata: Some(metadata(&rec)),
            tags: Some(tag_list(&rec.tag_order, &rec.tags)).filter(|t| !t.is_empty()),
        })
    }

    pub(crate) fn get_server_certificate(
        &self,
        ctx: &RequestContext,
        req: GetServerCertificateRequest,
    ) -> Result<GetServerCertificateResponse> {
        let c = self.server_cert(
            ctx,
            req.server_certificate_name.as_deref().unwrap_or_default(),
        )?;
        Ok(GetServerCertificateResponse {
            server_certificate: Some(ServerCertificate {
                server_certificate_metadata: Some(metadata(&c)),
                certificate_body: Some(c.body.clone()),
                certificate_chain: c.chain.clone(),
                tags: Some(tag_list(&c.tag_order, &c.tags)).filter(|t| !t.is_empty()),
            }),
        })
    }

    pub(crate) fn list_server_certificates(
        &self,
        ctx: &RequestContext,
        req: ListServerCertificatesRequest,
    ) -> Result<ListServerCertificatesResponse> {
        let prefix = req.path_prefix.unwrap_or_else(|| "/".into());
        let state = self.db.snapshot();
        let items = state
            .server_certs_of(&ctx.account)
            .filter(|c| c.path.starts_with(&prefix))
            .map(|c| (c.name.clone(), metadata(c)));
        let (list, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListServerCertificatesResponse {
            server_certificate_metadata_list: Some(list),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn update_server_certificate(
        &self,
        ctx: &RequestContext,
        req: UpdateServerCertificateRequest,
    ) -> Result<Empty> {
        let name = req.server_certificate_name.unwrap_or_default();
        if let Some(path) = &req.new_path {
            check_path(path)?;
        }
        if let Some(new) = &req.new_server_certificate_name {
            check_name(new, "newServerCertificateName", MAX_NAME)?;
        }
        self.db.write(|tx| {
            let old = tx
                .state
                .server_certs
                .get(&user_key(&ctx.account, &name))
                .ok_or_else(|| no_certificate(&name))?;
            let mut c = (**old).clone();
            if let Some(path) = &req.new_path {
                c.path = path.clone();
            }
            if let Some(new) = &req.new_server_certificate_name {
                if *new != name
                    && tx
                        .state
                        .server_certs
                        .contains_key(&user_key(&ctx.account, new))
                {
                    return Err(IamError::EntityAlreadyExists(format!(
                        "The Server Certificate with name {new} already exists."
                    )));
                }
                c.name = new.clone();
            }
            c.arn = arn(&c.account, &c.path, &c.name);
            if c.name != name {
                tx.delete::<ServerCertRec>(&user_key(&ctx.account, &name));
            }
            tx.put(c)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn delete_server_certificate(
        &self,
        ctx: &RequestContext,
        req: DeleteServerCertificateRequest,
    ) -> Result<Empty> {
        let name = req.server_certificate_name.unwrap_or_default();
        self.db.write(|tx| {
            let key = user_key(&ctx.account, &name);
            if !tx.state.server_certs.contains_key(&key) {
                return Err(no_certificate(&name));
            }
            tx.delete::<ServerCertRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn tag_server_certificate(
        &self,
        ctx: &RequestContext,
        req: TagServerCertificateRequest,
    ) -> Result<Empty> {
        let new = checked_tags(req.tags.as_ref())?;
        let name = req.server_certificate_name.unwrap_or_default();
        self.change_server_cert(ctx, &name, |c| {
            merge_into(&mut c.tags, &mut c.tag_order, &new)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn untag_server_certificate(
        &self,
        ctx: &RequestContext,
        req: UntagServerCertificateRequest,
    ) -> Result<Empty> {
        let keys = req.tag_keys.unwrap_or_default();
        let name = req.server_certificate_name.unwrap_or_default();
        self.change_server_cert(ctx, &name, |c| {
            remove_from(&mut c.tags, &mut c.tag_order, &keys);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn list_server_certificate_tags(
        &self,
        ctx: &RequestContext,
        req: ListServerCertificateTagsRequest,
    ) -> Result<ListServerCertificateTagsResponse> {
        let c = self.server_cert(
            ctx,
            req.server_certificate_name.as_deref().unwrap_or_default(),
        )?;
        let (tags, marker) = tag_page(
            tag_list(&c.tag_order, &c.tags),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListServerCertificateTagsResponse {
            tags: Some(tags),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
