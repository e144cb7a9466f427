# gnuplot fault-rate.gp (from bench-report): fault-rate.png
set terminal pngcairo size 1000,640 font ",11"
set output "bench/reference/fault-rate.png"
set datafile missing "?"
set termoption noenhanced
set title "GPU SVM fault service rate on vxe against lib/test_hmm's dmirror (median of the repetitions)"
set xlabel "memory touched (MiB)"
set ylabel "4K pages per second"
set logscale xy
set grid
set key outside right
set xtics ("4" 4, "16" 16, "64" 64, "256" 256, "1024" 1024)
plot "bench/reference/fault-rate.dat" using 1:2 with linespoints lw 2 title "GPU fault, 4K ranges", \
     "bench/reference/fault-rate.dat" using 1:3 with linespoints lw 2 title "GPU fault, 64K ranges", \
     "bench/reference/fault-rate.dat" using 1:4 with linespoints lw 2 title "GPU fault, 2M ranges", \
     "bench/reference/fault-rate.dat" using 1:5 with linespoints lw 2 title "GPU fault, 4K, shuffled", \
     "bench/reference/fault-rate.dat" using 1:6 with linespoints lw 2 title "GPU fault, 2M, shuffled", \
     "bench/reference/fault-rate.dat" using 1:7 with linespoints lw 2 title "GPU fault, 4K, EXEC to fence", \
     "bench/reference/fault-rate.dat" using 1:8 with linespoints lw 2 title "dmirror read", \
     "bench/reference/fault-rate.dat" using 1:9 with linespoints lw 2 title "dmirror write", \
     "bench/reference/fault-rate.dat" using 1:10 with linespoints lw 2 title "GPU fault, 4K, CPU-populated", \
     "bench/reference/fault-rate.dat" using 1:11 with linespoints lw 2 title "dmirror read, CPU-populated"
