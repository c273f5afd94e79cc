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
