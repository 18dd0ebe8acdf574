{{/*
Names, labels, and the pieces the Deployment and the migration Job share.
*/}}

{{- define "marque.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: "<release>-marque", or the release name when it already contains the chart name.
Truncated to 63 characters (a DNS label), less room for the "-headless" and "-migrate" suffixes.
*/}}
{{- define "marque.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "marque.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "marque.selectorLabels" -}}
app.kubernetes.io/name: {{ include "marque.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "marque.labels" -}}
helm.sh/chart: {{ include "marque.chart" . }}
{{ include "marque.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: marque
{{- end }}

{{/* Selector of the server pods (not the migration Job's or the test's). */}}
{{- define "marque.serverSelectorLabels" -}}
{{ include "marque.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "marque.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "marque.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "marque.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* A bind address as the host part of host:port: IPv6 addresses in brackets. */}}
{{- define "marque.hostPort" -}}
{{- if contains ":" . }}{{ printf "[%s]" . }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/* "true" when the server uses PostgreSQL rather than its embedded memory store. */}}
{{- define "marque.hasDatabase" -}}
{{- if or .Values.database.existingSecret .Values.database.url }}true{{ end }}
{{- end }}

{{/* "true" when the chart itself creates the Secret (from database.url or operatorKey.value). */}}
{{- define "marque.createsSecret" -}}
{{- if or (and .Values.database.url (not .Values.database.existingSecret)) (and .Values.operatorKey.value (not .Values.operatorKey.existingSecret)) }}true{{ end }}
{{- end }}

{{- define "marque.databaseSecretName" -}}
{{- default (include "marque.fullname" .) .Values.database.existingSecret }}
{{- end }}

{{- define "marque.operatorKeySecretName" -}}
{{- default (include "marque.fullname" .) .Values.operatorKey.existingSecret }}
{{- end }}

{{- define "marque.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "marque.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{- define "marque.migrationsMode" -}}
{{- if include "marque.hasDatabase" . }}{{ .Values.migrations.mode }}{{ else }}none{{ end }}
{{- end }}

{{/*
The environment the server and `marque migrate` share, whether the migration runs as a hook Job or
an init container. It is given inline rather than through the ConfigMap because a pre-install hook
runs before the release's ConfigMap exists. Credentials come only from secretKeyRef. The operator
key is the server's alone (see deployment.yaml): migrations do not need it.
*/}}
{{- define "marque.env" -}}
- name: MARQUE_LOG_FORMAT
  value: {{ .Values.server.logFormat | quote }}
- name: MARQUE_LOG
  value: {{ .Values.server.logLevel | quote }}
{{- if include "marque.hasDatabase" . }}
- name: MARQUE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "marque.databaseSecretName" . }}
      key: {{ .Values.database.secretKey }}
{{- if .Values.database.caSecret }}
- name: MARQUE_DATABASE_CA
  value: /etc/marque/database-ca/ca.crt
{{- end }}
- name: MARQUE_DATABASE_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: MARQUE_DATABASE_POOL_WAIT
  value: {{ .Values.database.poolWait | quote }}
- name: MARQUE_DATABASE_CONNECT_TIMEOUT
  value: {{ .Values.database.connectTimeout | quote }}
- name: MARQUE_DATABASE_STATEMENT_TIMEOUT
  value: {{ .Values.database.statementTimeout | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The volume and mount of PostgreSQL's CA bundle, for the server and `marque migrate` alike. */}}
{{- define "marque.databaseCaVolume" -}}
{{- if and (include "marque.hasDatabase" .) .Values.database.caSecret }}
- name: database-ca
  secret:
    secretName: {{ .Values.database.caSecret }}
    defaultMode: 0444
    items:
      - key: {{ .Values.database.caKey }}
        path: ca.crt
{{- end }}
{{- end }}

{{- define "marque.databaseCaVolumeMount" -}}
{{- if and (include "marque.hasDatabase" .) .Values.database.caSecret }}
- name: database-ca
  mountPath: /etc/marque/database-ca
  readOnly: true
{{- end }}
{{- end }}

{{/*
preStop sleep + shutdown grace (health NOT_SERVING, listener still open) + drain (in-flight calls
finish) + 5 s for the process to exit: the kubelet must not SIGKILL a pod that is still draining.
*/}}
{{- define "marque.minTerminationGracePeriodSeconds" -}}
{{- add .Values.preStopSleepSeconds .Values.server.shutdownGraceSeconds .Values.server.drainTimeoutSeconds 5 }}
{{- end }}

{{- define "marque.terminationGracePeriodSeconds" -}}
{{- $min := include "marque.minTerminationGracePeriodSeconds" . | int }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- $min }}
{{- else if lt (int .Values.terminationGracePeriodSeconds) $min }}
{{- fail (printf "terminationGracePeriodSeconds (%d) is below preStopSleepSeconds + server.shutdownGraceSeconds + server.drainTimeoutSeconds + 5 (%d): the kubelet would kill pods that are still draining" (int .Values.terminationGracePeriodSeconds) $min) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
Combinations the schema cannot express; rendered (to nothing) by every template that needs them.
*/}}
{{- define "marque.validate" -}}
{{- if and (not .Values.tls.enabled) (not .Values.server.plaintext) }}
{{- fail "set tls.enabled=true (with a kubernetes.io/tls Secret) or server.plaintext=true (only behind a mesh or proxy that provides TLS): the server refuses plaintext off loopback" }}
{{- end }}
{{- if and .Values.tls.enabled .Values.server.plaintext }}
{{- fail "tls.enabled and server.plaintext are both set: choose one" }}
{{- end }}
{{- if and .Values.tls.clientCA.enabled (not .Values.tls.enabled) }}
{{- fail "tls.clientCA.enabled (mTLS) needs tls.enabled" }}
{{- end }}
{{- if and (not (include "marque.hasDatabase" .)) (or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1)) }}
{{- fail "more than one replica needs PostgreSQL (database.existingSecret or database.url): the embedded memory store lives inside one process, so replicas would disagree" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is above autoscaling.maxReplicas" }}
{{- end }}
{{- if and (and .Values.database.url (not .Values.database.existingSecret)) (and .Values.operatorKey.value (not .Values.operatorKey.existingSecret)) (eq .Values.database.secretKey .Values.operatorKey.secretKey) }}
{{- fail "database.secretKey and operatorKey.secretKey must differ: both go into the Secret the chart creates" }}
{{- end }}
{{- if eq (int .Values.server.grpcPort) (int .Values.server.adminPort) }}
{{- fail "server.grpcPort and server.adminPort must differ" }}
{{- end }}
{{- end }}
