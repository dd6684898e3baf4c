set terminal pngcairo size 900,540 font ",11"
set output "p2-mappings.png"
set termoption noenhanced
set grid
set key top left
set title "P2: GET_PA latency vs live mappings (median, p10-p90)"
set logscale x 2
set xlabel "live mappings in the IOAS"
set ylabel "ns per call"
set yrange [0:*]
plot "p2-mappings.dat" index 0 using 1:2:3:4 with yerrorlines title "dense (4 KiB apart)", \
     "" index 1 using 1:2:3:4 with yerrorlines title "sparse (64 KiB apart)"
