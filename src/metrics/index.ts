/**
 * Public API of the metrics module (official DSC / NSD@2mm of the CVPR 2024 MedSAM-on-Laptop challenge, and the
 * documented strict variant). See ./case.ts for the semantics.
 */
export { computeCaseMetrics, DEFAULT_TOLERANCE_MM, type CaseMetrics, type CaseMetricsOptions, type LabelMetrics } from './case.js';
export { scoreCase, scoreCaseFiles, readCaseFiles, scoreFolder, listCases, dimFromCaseName, compareCaseNames, type CaseScore, type CaseFiles, type ScoreOptions, type ScoreFolderOptions } from './score.js';
export { runScoreJobs, type ScoreJob } from './pool.js';
export { streamCaseFiles } from './stream.js';
export { isRunVolume, type RunVolume } from './labels.js';
export { officialCsv, perLabelCsv, metricsJson, csvSidecarJson, csvNumber, nonFiniteReplacer, PER_LABEL_COLUMNS, type MetricsRunInfo } from './output.js';
export { pairwiseSum, npMean, npRound, pyFloatRepr, officialCsvValue } from './numeric.js';
export { surfelAreaTable, contourLengthTable } from './area.js';
export { labelSurface3d, labelContour2d, type SurfaceSummary, type BBox, type LabelData } from './surface.js';
