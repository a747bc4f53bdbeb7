# Installs mdsp on an existing Kubernetes cluster: cert-manager and the
# Strimzi and K8ssandra operators (helm_release), the Kafka and Cassandra
# clusters of deploy/k8s/platform (kubernetes_manifest, with sizes from the
# variables), the Secrets, and the chart deploy/helm/mdsp.
#
# kubernetes_manifest needs the operators' CRDs at plan time: on a new
# cluster apply the operators first (README "Deploy"):
#   terraform apply -target=module.mdsp.helm_release.strimzi -target=module.mdsp.helm_release.k8ssandra
#   terraform apply

locals {
  platform = "${path.module}/../k8s/platform"
  chart    = "${path.module}/../helm/mdsp"
  store    = "cassandra://mdsp-dc1-service:9042/market?dc=dc1&user=${var.cassandra_user}"

  kafka_docs     = [for d in split("\n---\n", file("${local.platform}/kafka.yaml")) : yamldecode(d)]
  cassandra_docs = [for d in split("\n---\n", file("${local.platform}/cassandra.yaml")) : yamldecode(d)]

  # The platform manifests as in the repository, with the namespace and the
  # sizes from the variables; one for expression per kind, so each only
  # touches the fields its kind has.
  namespaced = { for d in concat(local.kafka_docs, local.cassandra_docs) : "${d.kind}/${d.metadata.name}" =>
    merge(d, { metadata = merge(d.metadata, { namespace = var.namespace }) })
  }
  kafka_pools = { for k, d in local.namespaced : k => merge(d, {
    spec = merge(d.spec, {
      replicas = var.kafka_replicas
      storage = merge(d.spec.storage, {
        volumes = [for v in d.spec.storage.volumes : merge(v, { size = var.kafka_storage_size })]
      })
    })
  }) if d.kind == "KafkaNodePool" }
  kafka_clusters = { for k, d in local.namespaced : k => merge(d, {
    spec = merge(d.spec, { kafka = merge(d.spec.kafka, { version = var.kafka_version }) })
  }) if d.kind == "Kafka" }
  kafka_topics = { for k, d in local.namespaced : k => merge(d, {
    spec = merge(d.spec, {
      # market.deadletter keeps its single partition.
      partitions = d.spec.topicName == "market.deadletter" ? d.spec.partitions : var.kafka_partitions
      replicas   = min(d.spec.replicas, var.kafka_replicas)
    })
  }) if d.kind == "KafkaTopic" }
  cassandra_clusters = { for k, d in local.namespaced : k => merge(d, {
    spec = merge(d.spec, {
      cassandra = merge(d.spec.cassandra, {
        serverVersion = var.cassandra_version
        datacenters = [for dc in d.spec.cassandra.datacenters : merge(dc, {
          size = var.cassandra_replicas
          storageConfig = {
            cassandraDataVolumeClaimSpec = merge(dc.storageConfig.cassandraDataVolumeClaimSpec, {
              resources = { requests = { storage = var.cassandra_storage_size } }
            })
          }
        })]
      })
    })
  }) if d.kind == "K8ssandraCluster" }
  cassandra_jobs = { for k, d in local.namespaced : k => d if d.kind == "Job" }

  kafka_manifests     = merge(local.kafka_pools, local.kafka_clusters, local.kafka_topics)
  cassandra_manifests = merge(local.cassandra_clusters, local.cassandra_jobs)

  twelvedata = var.twelvedata_api_key != ""
  chart_values = {
    image = { repository = var.image_repository, tag = var.image_tag }
    kafka = {
      brokers = "mdsp-kafka-bootstrap:9092"
      sasl    = { existingSecret = var.kafka_sasl_password != "" ? "mdsp-kafka" : "", passwordKey = "password" }
    }
    cassandra  = { store = local.store, existingSecret = "mdsp-cassandra-superuser", passwordKey = "password" }
    twelvedata = { existingSecret = local.twelvedata ? "mdsp-twelvedata" : "", apiKeyKey = "api-key" }
    config = {
      log_level = "info"
      kafka = {
        group              = "mdsp-process"
        partitions         = var.kafka_partitions
        replication_factor = min(3, var.kafka_replicas)
        create_topics      = false
        properties         = {}
      }
    }
    ingest = {
      sources = var.ingest_sources
    }
    process = {
      replicas    = var.process_replicas
      autoscaling = { enabled = false, minReplicas = var.process_replicas, maxReplicas = var.kafka_partitions }
    }
    serve    = { replicas = var.serve_replicas }
    backfill = { enabled = local.twelvedata, symbols = var.backfill_symbols }
  }
}

resource "kubernetes_namespace" "mdsp" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name = var.namespace
  }
}

resource "helm_release" "cert_manager" {
  count            = var.install_cert_manager ? 1 : 0
  name             = "cert-manager"
  repository       = "https://charts.jetstack.io"
  chart            = "cert-manager"
  version          = var.cert_manager_version
  namespace        = "cert-manager"
  create_namespace = true
  wait             = true

  set {
    name  = "crds.enabled"
    value = "true"
  }
}

resource "helm_release" "strimzi" {
  name       = "strimzi"
  repository = "https://strimzi.io/charts/"
  chart      = "strimzi-kafka-operator"
  version    = var.strimzi_version
  namespace  = var.namespace
  wait       = true
  depends_on = [kubernetes_namespace.mdsp]
}

resource "helm_release" "k8ssandra" {
  name       = "k8ssandra-operator"
  repository = "https://helm.k8ssandra.io/stable"
  chart      = "k8ssandra-operator"
  version    = var.k8ssandra_operator_version
  namespace  = var.namespace
  wait       = true
  depends_on = [kubernetes_namespace.mdsp, helm_release.cert_manager]
}

resource "kubernetes_secret" "cassandra" {
  metadata {
    name      = "mdsp-cassandra-superuser"
    namespace = var.namespace
  }
  data = {
    username = var.cassandra_user
    password = var.cassandra_password
  }
  depends_on = [kubernetes_namespace.mdsp]
}

resource "kubernetes_secret" "twelvedata" {
  count = local.twelvedata ? 1 : 0
  metadata {
    name      = "mdsp-twelvedata"
    namespace = var.namespace
  }
  data = {
    "api-key" = var.twelvedata_api_key
  }
  depends_on = [kubernetes_namespace.mdsp]
}

resource "kubernetes_secret" "kafka" {
  count = var.kafka_sasl_password != "" ? 1 : 0
  metadata {
    name      = "mdsp-kafka"
    namespace = var.namespace
  }
  data = {
    password = var.kafka_sasl_password
  }
  depends_on = [kubernetes_namespace.mdsp]
}

# deploy/cassandra/schema.cql for the schema Job of cassandra.yaml.
resource "kubernetes_config_map" "schema" {
  metadata {
    name      = "mdsp-cassandra-schema"
    namespace = var.namespace
  }
  data = {
    "schema.cql" = file("${path.module}/../cassandra/schema.cql")
  }
  depends_on = [kubernetes_namespace.mdsp]
}

resource "kubernetes_manifest" "kafka" {
  for_each   = var.install_platform ? local.kafka_manifests : {}
  manifest   = each.value
  depends_on = [helm_release.strimzi]
}

resource "kubernetes_manifest" "cassandra" {
  for_each   = var.install_platform ? local.cassandra_manifests : {}
  manifest   = each.value
  depends_on = [helm_release.k8ssandra, kubernetes_secret.cassandra, kubernetes_config_map.schema]
}

resource "helm_release" "mdsp" {
  name      = "mdsp"
  chart     = local.chart
  namespace = var.namespace
  values    = compact([yamlencode(local.chart_values), var.chart_values])
  wait      = false # process and serve are ready once Kafka and Cassandra are
  depends_on = [
    kubernetes_manifest.kafka,
    kubernetes_manifest.cassandra,
    kubernetes_secret.twelvedata,
    kubernetes_secret.kafka,
  ]
}
