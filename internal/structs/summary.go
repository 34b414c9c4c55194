package structs

// JobSummary counts a job's allocations by state, per task group.
type JobSummary struct {
	JobID       string
	Namespace   string
	Summary     map[string]TaskGroupSummary
	Children    *JobChildrenSummary `json:",omitempty"`
	CreateIndex uint64
	ModifyIndex uint64
}

// JobChildrenSummary counts child jobs (periodic/dispatch); always empty here.
type JobChildrenSummary struct {
	Pending int64
	Running int64
	Dead    int64
}

// TaskGroupSummary counts one group's allocations by state.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}

// JobListStub is the list form of a job.
type JobListStub struct {
	ID                string
	ParentID          string
	Name              string
	Namespace         string `json:",omitempty"`
	Datacenters       []string
	Type              string
	Priority          int
	Periodic          bool
	ParameterizedJob  bool
	Stop              bool
	Status            string
	StatusDescription string
	JobSummary        *JobSummary
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
	SubmitTime        int64
	Version           uint64
	Meta              map[string]string `json:",omitempty"`
}

// Stub returns the list form of the job with its summary.
func (j *Job) Stub(summary *JobSummary) *JobListStub {
	return &JobListStub{
		ID: j.ID, ParentID: j.ParentID, Name: j.Name, Namespace: j.Namespace,
		Datacenters: j.Datacenters, Type: j.Type, Priority: j.Priority, Stop: j.Stop,
		Status: j.Status, StatusDescription: j.StatusDescription, JobSummary: summary,
		CreateIndex: j.CreateIndex, ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex,
		SubmitTime: j.SubmitTime, Version: j.Version, Meta: j.Meta,
	}
}

// Summarize counts allocs (all belonging to job) into a JobSummary. queued
// is the number of allocations per group the scheduler could not place yet.
func Summarize(job *Job, allocs []*Allocation, queued map[string]int) *JobSummary {
	s := &JobSummary{JobID: job.ID, Namespace: job.Namespace, Summary: map[string]TaskGroupSummary{},
		CreateIndex: job.CreateIndex, ModifyIndex: job.ModifyIndex}
	for _, tg := range job.TaskGroups {
		s.Summary[tg.Name] = TaskGroupSummary{Queued: queued[tg.Name]}
	}
	for _, a := range allocs {
		tgs := s.Summary[a.TaskGroup]
		switch a.ClientStatus {
		case AllocClientStatusPending:
			if !a.ServerTerminalStatus() {
				tgs.Starting++
			}
		case AllocClientStatusRunning:
			tgs.Running++
		case AllocClientStatusComplete:
			tgs.Complete++
		case AllocClientStatusFailed:
			tgs.Failed++
		case AllocClientStatusLost:
			tgs.Lost++
		case AllocClientStatusUnknown:
			tgs.Unknown++
		}
		s.Summary[a.TaskGroup] = tgs
	}
	return s
}
