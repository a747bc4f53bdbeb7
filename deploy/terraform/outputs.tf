output "namespace" {
  description = "Namespace mdsp runs in."
  value       = var.namespace
}

output "api_service" {
  description = "The Service of mdsp serve (the HTTP API and the dashboard)."
  value       = "${helm_release.mdsp.name}-serve.${var.namespace}.svc"
}

output "kafka_bootstrap" {
  description = "Bootstrap address of the Kafka cluster inside the cluster."
  value       = "mdsp-kafka-bootstrap.${var.namespace}.svc:9092"
}

output "cassandra_store" {
  description = "The --store URI mdsp uses."
  value       = local.store
}
