"""apps/v1 and batch/v1 workloads."""

TEXT = """
@io.k8s.api.apps.v1
Deployment gvk=apps/v1/Deployment -- Deployment enables declarative updates for Pods and ReplicaSets.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec DeploymentSpec
  status DeploymentStatus
DeploymentSpec
  replicas int32 -- Number of desired pods. Defaults to 1.
  selector meta.LabelSelector req -- Label selector for pods.
  template core.PodTemplateSpec req -- Template describes the pods that will be created.
  strategy DeploymentStrategy s=retainKeys
  minReadySeconds int32
  revisionHistoryLimit int32
  paused boolean
  progressDeadlineSeconds int32
DeploymentStrategy
  type string
  rollingUpdate RollingUpdateDeployment
RollingUpdateDeployment
  maxUnavailable IntOrString
  maxSurge IntOrString
DeploymentStatus
  observedGeneration int64
  replicas int32
  updatedReplicas int32
  readyReplicas int32
  availableReplicas int32
  unavailableReplicas int32
  terminatingReplicas int32
  conditions []DeploymentCondition k=type s=merge
  collisionCount int32
DeploymentCondition
  type string req
  status string req
  lastUpdateTime Time
  lastTransitionTime Time
  reason string
  message string
ReplicaSet gvk=apps/v1/ReplicaSet
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec ReplicaSetSpec
  status ReplicaSetStatus
ReplicaSetSpec
  replicas int32
  minReadySeconds int32
  selector meta.LabelSelector req
  template core.PodTemplateSpec
ReplicaSetStatus
  replicas int32 req
  fullyLabeledReplicas int32
  readyReplicas int32
  availableReplicas int32
  terminatingReplicas int32
  observedGeneration int64
  conditions []ReplicaSetCondition k=type s=merge
ReplicaSetCondition
  type string req
  status string req
  lastTransitionTime Time
  reason string
  message string
DaemonSet gvk=apps/v1/DaemonSet
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec DaemonSetSpec
  status DaemonSetStatus
DaemonSetSpec
  selector meta.LabelSelector req
  template core.PodTemplateSpec req
  updateStrategy DaemonSetUpdateStrategy
  minReadySeconds int32
  revisionHistoryLimit int32
DaemonSetUpdateStrategy
  type string
  rollingUpdate RollingUpdateDaemonSet
RollingUpdateDaemonSet
  maxUnavailable IntOrString
  maxSurge IntOrString
DaemonSetStatus
  currentNumberScheduled int32 req
  numberMisscheduled int32 req
  desiredNumberScheduled int32 req
  numberReady int32 req
  observedGeneration int64
  updatedNumberScheduled int32
  numberAvailable int32
  numberUnavailable int32
  collisionCount int32
  conditions []DaemonSetCondition k=type s=merge
DaemonSetCondition
  type string req
  status string req
  lastTransitionTime Time
  reason string
  message string
StatefulSet gvk=apps/v1/StatefulSet
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec StatefulSetSpec
  status StatefulSetStatus
StatefulSetSpec
  replicas int32
  selector meta.LabelSelector req
  template core.PodTemplateSpec req
  volumeClaimTemplates []core.PersistentVolumeClaim
  serviceName string
  podManagementPolicy string
  updateStrategy StatefulSetUpdateStrategy
  revisionHistoryLimit int32
  minReadySeconds int32
  persistentVolumeClaimRetentionPolicy StatefulSetPersistentVolumeClaimRetentionPolicy
  ordinals StatefulSetOrdinals
StatefulSetUpdateStrategy
  type string
  rollingUpdate RollingUpdateStatefulSetStrategy
RollingUpdateStatefulSetStrategy
  partition int32
  maxUnavailable IntOrString
StatefulSetPersistentVolumeClaimRetentionPolicy
  whenDeleted string
  whenScaled string
StatefulSetOrdinals
  start int32
StatefulSetStatus
  observedGeneration int64
  replicas int32 req
  readyReplicas int32
  currentReplicas int32
  updatedReplicas int32
  currentRevision string
  updateRevision string
  collisionCount int32
  conditions []StatefulSetCondition k=type s=merge
  availableReplicas int32
StatefulSetCondition
  type string req
  status string req
  lastTransitionTime Time
  reason string
  message string

@io.k8s.api.batch.v1
Job gvk=batch/v1/Job -- Job represents the configuration of a single job.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec JobSpec
  status JobStatus
JobSpec
  parallelism int32
  completions int32
  activeDeadlineSeconds int64
  podFailurePolicy object
  successPolicy object
  backoffLimit int32
  backoffLimitPerIndex int32
  maxFailedIndexes int32
  selector meta.LabelSelector
  manualSelector boolean
  template core.PodTemplateSpec req
  ttlSecondsAfterFinished int32
  completionMode string
  suspend boolean
  podReplacementPolicy string
  managedBy string
JobStatus
  conditions []JobCondition k=type s=merge l=atomic
  startTime Time
  completionTime Time
  active int32
  succeeded int32
  failed int32
  terminating int32
  completedIndexes string
  failedIndexes string
  uncountedTerminatedPods UncountedTerminatedPods
  ready int32
UncountedTerminatedPods
  succeeded []string l=set
  failed []string l=set
JobCondition
  type string req
  status string req
  lastProbeTime Time
  lastTransitionTime Time
  reason string
  message string
CronJob gvk=batch/v1/CronJob
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec CronJobSpec
  status CronJobStatus
CronJobSpec
  schedule string req -- The schedule in Cron format.
  timeZone string
  startingDeadlineSeconds int64
  concurrencyPolicy string
  suspend boolean
  jobTemplate JobTemplateSpec req
  successfulJobsHistoryLimit int32
  failedJobsHistoryLimit int32
JobTemplateSpec
  metadata meta.ObjectMeta
  spec JobSpec
CronJobStatus
  active []core.ObjectReference
  lastScheduleTime Time
  lastSuccessfulTime Time
"""
