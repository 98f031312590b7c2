{{- define "sift.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "sift.labels" -}}
app.kubernetes.io/name: sift
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sift.selector" -}}
app.kubernetes.io/name: sift
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sift.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "sift.fullname" .)) -}}
{{- end -}}
