//! AWS managed policies that ECS users attach, as a fixed table: attachable in every
//! account, never stored. Berth's copies hold the statements about the services Berth
//! serves (docs/COMPATIBILITY.md lists them); their ids are Berth's own.

/// One AWS managed policy.
pub struct AwsPolicy {
    pub name: &'static str,
    pub path: &'static str,
    pub description: &'static str,
    pub document: &'static str,
}

impl AwsPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// A stable `ANPA…` id made from the name.
    pub fn id(&self) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        // FNV-1a, widened: stable across builds and machines.
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for b in self.name.bytes() {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        let tail: String = (0..17)
            .map(|i| CHARS[((h >> (i * 5)) & 31) as usize] as char)
            .collect();
        format!("ANPA{tail}")
    }
}

/// When Berth's table says they were made (they are older than any account here).
pub const CREATED: f64 = 1_420_070_400.0;

/// The table.
pub static AWS_POLICIES: &[AwsPolicy] = &[
    AwsPolicy {
        name: "AdministratorAccess",
        path: "/",
        description: "Every action on every resource.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "PowerUserAccess",
        path: "/",
        description: "Every action except managing IAM, organizations and accounts.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonECSTaskExecutionRolePolicy",
        path: "/service-role/",
        description:
            "What an ECS task's execution role needs: pulling from ECR, writing to CloudWatch Logs.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonEC2ContainerServiceforEC2Role",
        path: "/service-role/",
        description: "What an ECS container instance's agent needs.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:CreateCluster","ecs:DeregisterContainerInstance","ecs:DiscoverPollEndpoint","ecs:Poll","ecs:RegisterContainerInstance","ecs:StartTelemetrySession","ecs:UpdateContainerInstancesState","ecs:Submit*","ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonEC2ContainerRegistryReadOnly",
        path: "/",
        description: "Reading ECR repositories and pulling images.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:GetRepositoryPolicy","ecr:DescribeRepositories","ecr:ListImages","ecr:DescribeImages","ecr:BatchGetImage","ecr:GetLifecyclePolicy","ecr:GetLifecyclePolicyPreview","ecr:ListTagsForResource","ecr:DescribeImageScanFindings"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonEC2ContainerRegistryPowerUser",
        path: "/",
        description: "Reading ECR repositories, pulling and pushing images.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:GetRepositoryPolicy","ecr:DescribeRepositories","ecr:ListImages","ecr:DescribeImages","ecr:BatchGetImage","ecr:GetLifecyclePolicy","ecr:GetLifecyclePolicyPreview","ecr:ListTagsForResource","ecr:DescribeImageScanFindings","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload","ecr:PutImage"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonEC2ContainerRegistryFullAccess",
        path: "/",
        description: "Every ECR action.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:*","cloudtrail:LookupEvents"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "SecretsManagerReadWrite",
        path: "/",
        description: "Every Secrets Manager action, and reading parameters.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:*","ssm:DescribeParameters","ssm:GetParameter","ssm:GetParameters","ssm:GetParametersByPath","tag:GetResources"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "AmazonSSMReadOnlyAccess",
        path: "/",
        description: "Reading Systems Manager.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "CloudWatchLogsFullAccess",
        path: "/",
        description: "Every CloudWatch Logs action.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*","cloudwatch:GenerateQuery"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "CloudWatchLogsReadOnlyAccess",
        path: "/",
        description: "Reading CloudWatch Logs.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:Describe*","logs:Get*","logs:List*","logs:StartQuery","logs:StopQuery","logs:TestMetricFilter","logs:FilterLogEvents","logs:StartLiveTail","logs:StopLiveTail","cloudwatch:GenerateQuery"],"Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "IAMFullAccess",
        path: "/",
        description: "Every IAM action.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
    },
    AwsPolicy {
        name: "IAMReadOnlyAccess",
        path: "/",
        description: "Reading IAM.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    },
];

/// The AWS managed policy `arn`, if the table has it.
pub fn aws_policy(arn: &str) -> Option<&'static AwsPolicy> {
    AWS_POLICIES.iter().find(|p| p.arn() == arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aws_policy_parses_and_has_its_own_id() {
        let mut ids = std::collections::HashSet::new();
        for p in AWS_POLICIES {
            berth_iam_policy::Policy::parse(p.document, berth_iam_policy::Kind::Identity)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            let id = p.id();
            assert_eq!(id.len(), 21, "{id}");
            assert!(ids.insert(id), "{}", p.name);
            assert_eq!(aws_policy(&p.arn()).map(|q| q.name), Some(p.name));
        }
        assert_eq!(
            AWS_POLICIES[2].arn(),
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        );
    }
}
