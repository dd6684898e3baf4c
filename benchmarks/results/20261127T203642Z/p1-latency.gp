set terminal pngcairo size 900,540 font ",11"
set output "p1-latency.png"
set termoption noenhanced
set grid
set key top left
set title "P1: ns per ioctl (median, p10-p90)"
set style data histogram
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -25
set ylabel "ns per call"
set yrange [0:*]
unset key
plot "p1-latency.dat" using 0:2:xtic(1) with boxes, "" using 0:2:3:4 with yerrorbars lc black pt -1
