# mdsp on the cluster of your kubeconfig:
#   cd deploy/terraform/examples/existing-cluster
#   terraform init
#   export TF_VAR_cassandra_password=... TF_VAR_twelvedata_api_key=...
#   terraform apply -target=module.mdsp.helm_release.strimzi -target=module.mdsp.helm_release.k8ssandra
#   terraform apply -var image_repository=registry.example.com/mdsp/mdsp

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38.0"
    }
  }
}

variable "kubeconfig" {
  description = "Path of the kubeconfig of the cluster to install on."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Context of the kubeconfig to use (empty: its current context)."
  type        = string
  default     = ""
}

variable "image_repository" {
  description = "Repository of the mdsp image the cluster pulls (built from the repository's Dockerfile)."
  type        = string
}

variable "cassandra_password" {
  description = "Password of mdsp's Cassandra role."
  type        = string
  sensitive   = true
}

variable "twelvedata_api_key" {
  description = "TwelveData API key; empty runs the simulator only and no backfill."
  type        = string
  default     = ""
  sensitive   = true
}

provider "kubernetes" {
  config_path    = var.kubeconfig
  config_context = var.kube_context != "" ? var.kube_context : null
}

provider "helm" {
  kubernetes {
    config_path    = var.kubeconfig
    config_context = var.kube_context != "" ? var.kube_context : null
  }
}

module "mdsp" {
  source = "../.."

  image_repository   = var.image_repository
  cassandra_password = var.cassandra_password
  twelvedata_api_key = var.twelvedata_api_key

  kafka_replicas     = 3
  cassandra_replicas = 3
  process_replicas   = 3
  ingest_sources = concat(
    [{ name = "binance", source = "binance", settings = { "binance.symbols" = "btcusdt,ethusdt" } }],
    var.twelvedata_api_key != "" ? [{ name = "twelvedata", source = "twelvedata", settings = { "twelvedata.symbols" = "AAPL,EUR/USD" } }] : [],
  )
}

output "api_service" {
  description = "The Service of the mdsp API (kubectl port-forward service/mdsp-serve 8080:80)."
  value       = module.mdsp.api_service
}
