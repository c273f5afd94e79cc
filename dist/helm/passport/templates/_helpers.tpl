{{- define "passport.labels" -}}
app.kubernetes.io/name: passport
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "passport.selectorLabels" -}}
app.kubernetes.io/name: passport
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node
{{- end -}}

{{- define "passport.socketDir" -}}
{{ .Values.kubeletDir }}/plugins/{{ .Values.driverName }}/
{{- end -}}


{{- define "passport.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* The sidecars' hardening (cert-manager csi-driver's): root for the registration socket, nothing else. */}}
{{- define "passport.sidecarSecurityContext" -}}
runAsUser: 0
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Whether the CSIDriver gets serviceAccountTokenInSecrets: "auto" follows the server's version. */}}
{{- define "passport.tokenInSecrets" -}}
{{- $v := .Values.csiDriver.serviceAccountTokenInSecrets -}}
{{- if eq (toString $v) "auto" -}}
{{- if semverCompare ">=1.35.0-0" .Capabilities.KubeVersion.Version }}true{{ end -}}
{{- else if eq (toString $v) "true" -}}
true
{{- end -}}
{{- end -}}
