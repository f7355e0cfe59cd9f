/** Self-metrics data of the flow table (read at scrape time by the metrics layer). */
export class FlowTableStats {
  activeFlows = 0;
  seriesExported = 0;
  evictionsIdle = 0;
  evictionsActive = 0;
  evictionsCapacity = 0;
  /** Flows ended by endAll() (end of replay). */
  endedAtEnd = 0;
  /** Values of the overflow series (flow labels "other"). */
  overflowPackets = 0;
  overflowBytes = 0;
  flowsCreated = 0;
  seriesAdmitted = 0;
  seriesDemoted = 0;
  /** Exceptions thrown by the record hook (caught so that a sink cannot break the packet path). */
  hookErrors = 0;
}
