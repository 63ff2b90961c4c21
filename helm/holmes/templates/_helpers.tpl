{{- define "holmes.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "holmes.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "holmes.labels" -}}
app.kubernetes.io/name: {{ include "holmes.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "holmes.selectorLabels" -}}
app.kubernetes.io/name: {{ include "holmes.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "holmes.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "holmes.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The read-only rules: get, list, watch; no Secrets, no pods/exec, no write verb. */}}
{{- define "holmes.readRules" -}}
- apiGroups: [""]
  resources: [pods, pods/log, events, nodes, namespaces, services, endpoints, configmaps, persistentvolumeclaims, persistentvolumes, resourcequotas, limitranges, serviceaccounts, replicationcontrollers]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets, replicasets]
  verbs: [get, list, watch]
- apiGroups: [batch]
  resources: [jobs, cronjobs]
  verbs: [get, list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
- apiGroups: [node.k8s.io]
  resources: [runtimeclasses]
  verbs: [get, list, watch]
- apiGroups: [scheduling.k8s.io]
  resources: [priorityclasses]
  verbs: [get, list, watch]
- apiGroups: [resource.k8s.io]
  resources: [resourceclaims, resourceclaimtemplates, resourceslices, deviceclasses]
  verbs: [get, list, watch]
- apiGroups: [serving.kserve.io]
  resources: [inferenceservices, servingruntimes, clusterservingruntimes]
  verbs: [get, list, watch]
- apiGroups: [karpenter.sh]
  resources: [nodeclaims, nodepools]
  verbs: [get, list, watch]
- apiGroups: [ray.io]
  resources: [rayclusters, rayservices, rayjobs]
  verbs: [get, list, watch]
{{- end -}}
