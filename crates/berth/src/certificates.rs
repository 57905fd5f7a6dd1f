//! ELB's `Certificates` port answered by IAM: HTTPS listeners serve the IAM server
//! certificates their `CertificateArn`s name, private keys opened from IAM's sealed store.

use std::sync::Arc;

use berth_elbv2::CertificatePem;
use berth_iam::Iam;

pub struct IamCertificates(pub Arc<Iam>);

impl berth_elbv2::Certificates for IamCertificates {
    fn certificate(&self, account: &str, arn: &str) -> Option<CertificatePem> {
        let pem = self.0.server_certificate_pem(account, arn)?;
        Some(CertificatePem {
            chain_pem: pem.chain_pem,
            key_pem: pem.key_pem,
        })
    }
}
