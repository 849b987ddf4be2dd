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
  strategy DeploymentStrategy s=retainKeys -- The deployment strategy to use to replace existing pods with
      new ones.
  minReadySeconds int32 -- Minimum number of seconds for which a newly created pod should be ready without
      any of its container crashing, for it to be considered available.
  revisionHistoryLimit int32 -- The number of old ReplicaSets to retain to allow rollback. Defaults to 10.
  paused boolean -- Indicates that the deployment is paused.
  progressDeadlineSeconds int32 -- The maximum time in seconds for a deployment to make progress before it
      is considered to be failed. Defaults to 600s.
DeploymentStrategy
  type string -- Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.
  rollingUpdate RollingUpdateDeployment -- Rolling update config params. Present only if
      DeploymentStrategyType = RollingUpdate.
RollingUpdateDeployment
  maxUnavailable IntOrString -- The maximum number of pods that can be unavailable during the update. Value
      can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Defaults to 25%.
  maxSurge IntOrString -- The maximum number of pods that can be scheduled above the desired number of pods.
      Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Defaults to 25%.
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
  replicas int32 -- Replicas is the number of desired pods. Defaults to 1.
  minReadySeconds int32
  selector meta.LabelSelector req -- Selector is a label query over pods that should match the replica
      count.
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
  serviceName string -- serviceName is the name of the service that governs this StatefulSet.
  podManagementPolicy string -- podManagementPolicy controls how pods are created during initial scale up,
      when replacing pods on nodes, or when scaling down. OrderedReady or Parallel.
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
  parallelism int32 -- Specifies the maximum desired number of pods the job should run at any given time.
  completions int32 -- Specifies the desired number of successfully finished pods the job should be run
      with.
  activeDeadlineSeconds int64
  podFailurePolicy object
  successPolicy object
  backoffLimit int32 -- Specifies the number of retries before marking this job failed. Defaults to 6.
  backoffLimitPerIndex int32
  maxFailedIndexes int32
  selector meta.LabelSelector
  manualSelector boolean
  template core.PodTemplateSpec req -- Describes the pod that will be created when executing a job. The only
      allowed template.spec.restartPolicy values are "Never" or "OnFailure".
  ttlSecondsAfterFinished int32 -- ttlSecondsAfterFinished limits the lifetime of a Job that has finished
      execution (either Complete or Failed).
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
  timeZone string -- The time zone name for the given schedule.
  startingDeadlineSeconds int64
  concurrencyPolicy string -- Specifies how to treat concurrent executions of a Job: Allow (default), Forbid
      or Replace.
  suspend boolean -- This flag tells the controller to suspend subsequent executions, it does not apply to
      already started executions.
  jobTemplate JobTemplateSpec req -- Specifies the job that will be created when executing a CronJob.
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
