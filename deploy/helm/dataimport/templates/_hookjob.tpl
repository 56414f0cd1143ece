{{/* A hook Job; pass (dict "root" $ "task" "migrations" "weight" "0" "args" (list ...) "hook" .Values.hooks.migrations). */}}
{{- define "dataimport.hookJob" -}}
{{- $root := .root -}}
{{- $api := include "dataimport.serviceValues" (dict "root" $root "name" "job-api") | fromYaml -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "dataimport.fullname" $root }}-{{ .task }}
  labels:
    {{- include "dataimport.labels" (dict "root" $root "component" .task) | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .hook.backoffLimit }}
  activeDeadlineSeconds: {{ .hook.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels:
        {{- include "dataimport.labels" (dict "root" $root "component" .task) | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .task }}
          image: {{ include "dataimport.image" (dict "root" $root "name" "job-api" "svc" $api) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            {{- toYaml .args | nindent 12 }}
          env:
            {{- range $k, $v := include "dataimport.configData" $root | fromYaml }}
            - name: {{ $k }}
              value: {{ $v | toString | quote }}
            {{- end }}
            {{- include "dataimport.secretEnv" (dict "root" $root "secretName" (printf "%s-hooks" (include "dataimport.fullname" $root))) | nindent 12 }}
          resources:
            {{- toYaml $root.Values.hooks.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
{{- end -}}
