{{/* Labels every object carries; the component is passed as .component. */}}
{{- define "inferd.labels" -}}
app.kubernetes.io/name: inferd
app.kubernetes.io/part-of: inferd
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The selector of one component's pods (a subset of its labels, never changed by an upgrade). */}}
{{- define "inferd.selector" -}}
app.kubernetes.io/name: inferd
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "inferd.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
