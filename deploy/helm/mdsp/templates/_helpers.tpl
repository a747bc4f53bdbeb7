{{/* Names and labels. */}}
{{- define "mdsp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mdsp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "mdsp.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "mdsp.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "mdsp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "mdsp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mdsp
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "process"). */}}
{{- define "mdsp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mdsp.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mdsp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mdsp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mdsp.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* A TOML value: string, bool, number or list of them. Helm reads YAML
numbers as float64; whole ones are written as integers. */}}
{{- define "mdsp.tomlValue" -}}
{{- if kindIs "string" . }}{{ . | quote }}
{{- else if kindIs "bool" . }}{{ . }}
{{- else if kindIs "slice" . }}[{{ range $i, $v := . }}{{ if $i }}, {{ end }}{{ include "mdsp.tomlValue" $v }}{{ end }}]
{{- else if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}{{ int64 . }}
{{- else }}{{ . }}
{{- end }}
{{- end }}

{{/* The settings map as TOML: top-level keys, then [section] tables, then
[section.sub] tables (keys quoted: librdkafka names have dots). */}}
{{- define "mdsp.toml" -}}
{{- range $k, $v := . }}
{{- if not (kindIs "map" $v) }}
{{ $k }} = {{ include "mdsp.tomlValue" $v }}
{{- end }}
{{- end }}
{{- range $section, $body := . }}
{{- if kindIs "map" $body }}

[{{ $section }}]
{{- range $k, $v := $body }}
{{- if not (kindIs "map" $v) }}
{{ $k }} = {{ include "mdsp.tomlValue" $v }}
{{- end }}
{{- end }}
{{- range $sub, $subBody := $body }}
{{- if kindIs "map" $subBody }}
{{- if $subBody }}

[{{ $section }}.{{ $sub }}]
{{- range $k, $v := $subBody }}
{{ $k | quote }} = {{ include "mdsp.tomlValue" $v }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Secrets by reference, as the environment variables mdsp reads them:
(dict "ctx" $ "kafka" true "cassandra" true "twelvedata" false). */}}
{{- define "mdsp.secretEnv" -}}
{{- $v := .ctx.Values }}
{{- if and .kafka $v.kafka.sasl.existingSecret }}
- name: MDSP_KAFKA_PROPERTIES_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- if and .cassandra $v.cassandra.existingSecret }}
- name: MDSP_CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.cassandra.existingSecret }}
      key: {{ $v.cassandra.passwordKey }}
{{- end }}
{{- if .twelvedata }}
- name: TWELVEDATA_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "twelvedata.existingSecret: the twelvedata source and the backfill job need the Secret with the TwelveData API key" $v.twelvedata.existingSecret }}
      key: {{ $v.twelvedata.apiKeyKey }}
{{- end }}
{{- end }}

{{/* The pod-level parts every mdsp pod shares. */}}
{{- define "mdsp.podCommon" -}}
serviceAccountName: {{ include "mdsp.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: config
    configMap:
      name: {{ include "mdsp.fullname" . }}-config
  - name: data
    emptyDir:
      sizeLimit: {{ .Values.dataVolume.sizeLimit }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end }}

{{/* Container parts every mdsp container shares. */}}
{{- define "mdsp.containerCommon" -}}
image: {{ include "mdsp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: config
    mountPath: /etc/mdsp
    readOnly: true
  - name: data
    mountPath: /var/lib/mdsp
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* Probes on the HTTP port. */}}
{{- define "mdsp.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  failureThreshold: 2
{{- end }}

{{/* The flags of the cluster path that every stage shares. */}}
{{- define "mdsp.commonArgs" -}}
- --config
- /etc/mdsp/mdsp.toml
- --data-dir
- /var/lib/mdsp
{{- end }}
