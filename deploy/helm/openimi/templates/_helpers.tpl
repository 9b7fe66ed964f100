{{- define "openimi.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "openimi.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "openimi.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "openimi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The environment every process gets: the same for migrate, api and
worker, so that they never disagree about the database or Temporal. */}}
{{- define "openimi.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ required "secrets.existingSecret is required" .Values.secrets.existingSecret }}, key: DATABASE_URL}
- name: OPENIMI_BOOTSTRAP_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.existingSecret }}, key: OPENIMI_BOOTSTRAP_PASSWORD}
{{- if .Values.config.smtpURL }}
- name: SMTP_URL
  value: {{ .Values.config.smtpURL | quote }}
{{- else }}
- name: SMTP_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.existingSecret }}, key: SMTP_URL}
{{- end }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.secrets.existingSecret }}, key: TEMPORAL_API_KEY, optional: true}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: TEMPORAL_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- if .Values.temporal.tls.enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- if .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .Values.temporal.tls.serverName | quote }}
{{- end }}
{{- with .Values.temporal.tls.existingSecret }}
{{- if $.Values.temporal.tls.caKey }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/openimi/temporal-tls/{{ $.Values.temporal.tls.caKey }}
{{- end }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/openimi/temporal-tls/{{ $.Values.temporal.tls.certKey }}
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/openimi/temporal-tls/{{ $.Values.temporal.tls.keyKey }}
{{- end }}
{{- end }}
- name: PUBLIC_URL
  value: {{ .Values.config.publicURL | quote }}
- name: MAIL_FROM
  value: {{ .Values.config.mailFrom | quote }}
- name: OPENIMI_BOOTSTRAP_EMAIL
  value: {{ .Values.config.bootstrapEmail | quote }}
- name: OPENIMI_DAY
  value: {{ .Values.config.day | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: LOG_FORMAT
  value: json
- name: SHUTDOWN_TIMEOUT
  value: {{ .Values.config.shutdownTimeout | quote }}
- name: HTTP_ADDR
  value: {{ printf ":%v" .Values.api.port | quote }}
- name: METRICS_ADDR
  value: {{ printf ":%v" .Values.api.metricsPort | quote }}
- name: WORKER_HTTP_ADDR
  value: {{ printf ":%v" .Values.worker.port | quote }}
{{- end -}}

{{/* The root filesystem is read-only: /tmp is the one writable folder
(large uploads are buffered there), the Temporal TLS files are mounted when
given. */}}
{{- define "openimi.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
  - name: temporal-tls
    mountPath: /etc/openimi/temporal-tls
    readOnly: true
{{- end }}
{{- end -}}

{{- define "openimi.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
  - name: temporal-tls
    secret:
      secretName: {{ .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}
