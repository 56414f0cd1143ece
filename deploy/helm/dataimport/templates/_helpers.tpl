{{/* Chart name. */}}
{{- define "dataimport.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name. */}}
{{- define "dataimport.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "dataimport.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels; pass (dict "root" $ "component" "validator"). */}}
{{- define "dataimport.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dataimport.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Standard labels; pass (dict "root" $ "component" "validator"). */}}
{{- define "dataimport.labels" -}}
helm.sh/chart: {{ include "dataimport.chart" .root }}
{{ include "dataimport.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: dataimport
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Name of one service's resources. */}}
{{- define "dataimport.componentName" -}}
{{- printf "%s-%s" (include "dataimport.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* One service's values merged over serviceDefaults; pass (dict "root" $ "name" "validator"). Returns YAML. */}}
{{- define "dataimport.serviceValues" -}}
{{- $raw := index .root.Values.services .name | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy $raw)) -}}
{{- end -}}

{{/* Image of a service; pass (dict "root" $ "name" "validator" "svc" $svc). */}}
{{- define "dataimport.image" -}}
{{- $img := .root.Values.image -}}
{{- $o := .svc.image | default dict -}}
{{- $repo := $o.repository | default (printf "%s/%s-%s" $img.registry $img.repository .name) -}}
{{- $tag := $o.tag | default $img.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "dataimport.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dataimport.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Autoscaler replica cap: min(maxReplicas, kafka.partitions). */}}
{{- define "dataimport.maxReplicas" -}}
{{- min (int .svc.autoscaling.maxReplicas) (int .root.Values.kafka.partitions) -}}
{{- end -}}

{{/* Non-secret configuration (ConfigMap data and inline hook env). */}}
{{- define "dataimport.configData" -}}
KAFKA_BOOTSTRAP_SERVERS: {{ .Values.kafka.bootstrapServers | quote }}
TOPIC_PARTITIONS: {{ .Values.kafka.partitions | quote }}
{{- if .Values.kafka.sasl.enabled }}
KAFKA_SECURITY_PROTOCOL: {{ .Values.kafka.sasl.securityProtocol | quote }}
KAFKA_SASL_MECHANISM: {{ .Values.kafka.sasl.mechanism | quote }}
{{- end }}
WAREHOUSE: {{ .Values.warehouse.type | quote }}
WAREHOUSE_URI: {{ .Values.warehouse.uri | quote }}
{{- if eq .Values.warehouse.type "databricks" }}
DATABRICKS_SERVER_HOSTNAME: {{ .Values.warehouse.databricks.serverHostname | quote }}
DATABRICKS_HTTP_PATH: {{ .Values.warehouse.databricks.httpPath | quote }}
DATABRICKS_CATALOG: {{ .Values.warehouse.databricks.catalog | quote }}
DATABRICKS_STAGING_VOLUME: {{ .Values.warehouse.databricks.stagingVolume | quote }}
{{- end }}
CHUNK_SIZE: {{ .Values.config.chunkSize | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
HTTP_HOST: "0.0.0.0"
HTTP_PORT: "8080"
HOME: "/tmp"
{{- range $k, $v := .Values.config.extraEnv }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Name of the Secret the chart creates (hook = the copy used by hook Jobs). */}}
{{- define "dataimport.secretName" -}}
{{- include "dataimport.fullname" . -}}
{{- end -}}

{{/*
Secret values the chart stores itself (those not taken from an existingSecret).
Returns YAML key: value (plain text; encode on output).
*/}}
{{- define "dataimport.secretData" -}}
{{- if not .Values.database.existingSecret.name }}
DATABASE_URL: {{ required "database.url (or database.existingSecret.name) is required" .Values.database.url | quote }}
{{- end }}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret.name) }}
KAFKA_SASL_USERNAME: {{ .Values.kafka.sasl.username | quote }}
KAFKA_SASL_PASSWORD: {{ .Values.kafka.sasl.password | quote }}
{{- end }}
{{- if and (eq .Values.warehouse.type "databricks") (not .Values.warehouse.databricks.existingSecret.name) }}
{{- with .Values.warehouse.databricks.token }}
DATABRICKS_TOKEN: {{ . | quote }}
{{- end }}
{{- with .Values.warehouse.databricks.clientId }}
DATABRICKS_CLIENT_ID: {{ . | quote }}
{{- end }}
{{- with .Values.warehouse.databricks.clientSecret }}
DATABRICKS_CLIENT_SECRET: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Secret env entries; pass (dict "root" $ "secretName" NAME-OF-CHART-SECRET). */}}
{{- define "dataimport.secretEnv" -}}
{{- $v := .root.Values -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- if $v.database.existingSecret.name }}
      name: {{ $v.database.existingSecret.name }}
      key: {{ $v.database.existingSecret.key }}
      {{- else }}
      name: {{ .secretName }}
      key: DATABASE_URL
      {{- end }}
{{- if $v.kafka.sasl.enabled }}
{{- $s := $v.kafka.sasl.existingSecret }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $s.name | default .secretName }}
      key: {{ ternary $s.usernameKey "KAFKA_SASL_USERNAME" (ne $s.name "") }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.name | default .secretName }}
      key: {{ ternary $s.passwordKey "KAFKA_SASL_PASSWORD" (ne $s.name "") }}
{{- end }}
{{- if eq $v.warehouse.type "databricks" }}
{{- $d := $v.warehouse.databricks }}
{{- range $env, $keyField := dict "DATABRICKS_TOKEN" "tokenKey" "DATABRICKS_CLIENT_ID" "clientIdKey" "DATABRICKS_CLIENT_SECRET" "clientSecretKey" }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $d.existingSecret.name | default $.secretName }}
      key: {{ ternary (index $d.existingSecret $keyField) $env (ne $d.existingSecret.name "") }}
      optional: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Checksum of config + secret values, to roll pods on change. */}}
{{- define "dataimport.configChecksum" -}}
{{- printf "%s\n%s" (include "dataimport.configData" .) (include "dataimport.secretData" .) | sha256sum -}}
{{- end -}}

{{/* Warehouse volume (delta on a PVC). */}}
{{- define "dataimport.warehouseVolumeEnabled" -}}
{{- if and (eq .Values.warehouse.type "delta") .Values.warehouse.persistence.enabled -}}true{{- end -}}
{{- end -}}

{{- define "dataimport.warehouseClaimName" -}}
{{- .Values.warehouse.persistence.existingClaim | default (printf "%s-warehouse" (include "dataimport.fullname" .)) -}}
{{- end -}}
