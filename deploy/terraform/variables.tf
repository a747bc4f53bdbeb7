variable "namespace" {
  description = "Namespace of mdsp, its Kafka and its Cassandra (the chart's defaults expect them together)."
  type        = string
  default     = "mdsp"
}

variable "create_namespace" {
  description = "Create the namespace (false when it exists already)."
  type        = bool
  default     = true
}

variable "install_cert_manager" {
  description = "Install cert-manager, which the K8ssandra operator needs (false when the cluster has it)."
  type        = bool
  default     = true
}

variable "cert_manager_version" {
  description = "Version of the cert-manager Helm chart (charts.jetstack.io)."
  type        = string
  default     = "v1.19.1"
}

variable "strimzi_version" {
  description = "Version of the Strimzi operator's Helm chart (strimzi.io/charts); it must support Kafka var.kafka_version."
  type        = string
  default     = "0.48.0"
}

variable "k8ssandra_operator_version" {
  description = "Version of the K8ssandra operator's Helm chart (helm.k8ssandra.io/stable)."
  type        = string
  default     = "1.29.0"
}

variable "install_platform" {
  description = "Create the Kafka and Cassandra clusters (deploy/k8s/platform). Their CRDs come with the operators: apply once with -target on the operators first (see README)."
  type        = bool
  default     = true
}

variable "kafka_version" {
  description = "Apache Kafka version Strimzi runs."
  type        = string
  default     = "4.1.0"
}

variable "kafka_replicas" {
  description = "Kafka nodes (each a KRaft controller and a broker); 3 or more for replication factor 3."
  type        = number
  default     = 3
}

variable "kafka_storage_size" {
  description = "Persistent volume size of each Kafka node, e.g. 50Gi."
  type        = string
  default     = "50Gi"
}

variable "kafka_partitions" {
  description = "Partitions of market.ticks and market.candles; the process replicas scale up to this."
  type        = number
  default     = 12
}

variable "cassandra_version" {
  description = "Apache Cassandra version K8ssandra runs."
  type        = string
  default     = "5.0.4"
}

variable "cassandra_replicas" {
  description = "Cassandra nodes in data centre dc1; at least 3 for the replication factor of deploy/cassandra/schema.cql."
  type        = number
  default     = 3
}

variable "cassandra_storage_size" {
  description = "Persistent volume size of each Cassandra node, e.g. 100Gi."
  type        = string
  default     = "100Gi"
}

variable "cassandra_user" {
  description = "Cassandra role mdsp logs in as (K8ssandra's super user here; make a narrower role for production)."
  type        = string
  default     = "mdsp"
}

variable "cassandra_password" {
  description = "Password of var.cassandra_user; stored in the Secret mdsp-cassandra-superuser and given to mdsp as MDSP_CASSANDRA_PASSWORD."
  type        = string
  sensitive   = true
}

variable "twelvedata_api_key" {
  description = "TwelveData API key for the twelvedata source and the daily backfill (TWELVEDATA_API_KEY); empty: neither runs."
  type        = string
  default     = ""
  sensitive   = true
}

variable "kafka_sasl_password" {
  description = "Kafka SASL password (MDSP_KAFKA_PROPERTIES_SASL_PASSWORD) when the brokers need SASL; empty: plaintext in-cluster listener."
  type        = string
  default     = ""
  sensitive   = true
}

variable "image_repository" {
  description = "Repository of the mdsp image, built from the repository's Dockerfile and pushed where the cluster pulls from."
  type        = string
}

variable "image_tag" {
  description = "Tag of the mdsp image."
  type        = string
  default     = "0.1.0"
}

variable "process_replicas" {
  description = "Replicas of mdsp process (at most var.kafka_partitions do work)."
  type        = number
  default     = 3
}

variable "serve_replicas" {
  description = "Replicas of mdsp serve behind the Service."
  type        = number
  default     = 2
}

variable "ingest_sources" {
  description = "Sources to ingest, one Deployment each: name, source (sim, twelvedata, binance) and extra settings (--set KEY=VALUE)."
  type = list(object({
    name     = string
    source   = string
    settings = map(string)
  }))
  default = [{ name = "sim", source = "sim", settings = { "sim.rate" = "100" } }]
}

variable "backfill_symbols" {
  description = "TwelveData symbols of the daily backfill, comma-separated; it runs only with var.twelvedata_api_key."
  type        = string
  default     = "AAPL,EUR/USD"
}

variable "chart_values" {
  description = "Further values for the mdsp chart (YAML text), applied after the module's own."
  type        = string
  default     = ""
}
